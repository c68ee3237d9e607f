"""The web edge's routes, one module per area: sign-in, account settings, deletion, operator."""
