"""The console kit: what any domain's staff pages are built with (auth dependencies, CSRF, sessions,
the page layout and SVG charts). Domains import ``app.console.kit.*``, never the rest of app.console."""
