"""Model families: one module each, with its prompt builder, parser and coordinate frame."""
