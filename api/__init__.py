"""The gridwhistle service: persistence, workflow, HTTP routes and the command line."""
