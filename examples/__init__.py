"""Examples of services joining Adieu from outside the platform's own four."""
