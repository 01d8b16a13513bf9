"""Qt front end. Calls services; never writes SQL."""
