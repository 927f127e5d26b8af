"""The directory of Bildungsangebote and Akteure for the Bildungsportal (editable by editors)."""
