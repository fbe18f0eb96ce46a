"""Request (``XCreate``) and answer (``XPublic``) bodies. Requests refuse unknown fields."""
