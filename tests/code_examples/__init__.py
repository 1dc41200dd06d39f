"""Loss implementations written the way trainers write them, correct and with planted bugs."""
