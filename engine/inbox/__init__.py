"""Each person's work: the inbox of human tasks, the task page, and escalation of overdue tasks."""
