"""Print-ready board posters (A4 and card; PDF and PNG at 300 dpi) from a jinja2 layout template."""
