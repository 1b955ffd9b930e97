"""Win-back: a scheduled selection of lapsed customers, offered a code, then reminded."""
