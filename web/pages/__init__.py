"""The pages, one module per page (and the forms it posts)."""
