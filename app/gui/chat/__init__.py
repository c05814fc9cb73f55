"""The chat page: give a task, watch the agent think, approve / correct / rate each step."""
