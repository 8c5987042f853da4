"""Reading the decisioning marts for people: `chorus explain`."""
