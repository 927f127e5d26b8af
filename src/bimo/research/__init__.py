"""Research access: requests for documented microdata extracts (Forschung role)."""
