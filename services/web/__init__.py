"""The web edge: the person's pages and the operator page, a client of the other services' APIs."""
