"""One router module per resource; app/main.py includes them."""
