"""The static site's Jinja templates and assets, shipped as the package runreport.templates."""
