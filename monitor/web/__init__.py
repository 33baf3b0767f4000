"""The web application (Flask). Views parse requests, call services, commit and render."""
