"""``deskhand bench learning``: nights of teaching and learning, measured on held-out tasks."""
