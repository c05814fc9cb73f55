"""One module per group of ``deskhand`` commands; ``app.cli`` registers them."""
