"""Paper trading: the account's state database and the loop that books each new bar."""
