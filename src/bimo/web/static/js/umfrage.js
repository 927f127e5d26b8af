// Survey pages (no inline handlers: the CSP forbids them).

// The "print codes" button exists only where printing from script works.
document.querySelectorAll("[data-umfrage-drucken]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});

// A double tap on "send" must not hand in the same questionnaire twice with a class code:
// after the first submit the button is disabled (the form is sent once).
document.querySelectorAll("form[data-umfrage-einmal]").forEach((form) => {
  form.addEventListener("submit", () => {
    form.querySelectorAll("button[type=submit]").forEach((button) => {
      button.disabled = true;
      button.textContent = "Wird gesendet …";
    });
  });
});
