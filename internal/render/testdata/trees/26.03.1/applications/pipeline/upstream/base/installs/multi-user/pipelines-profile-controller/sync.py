# stands in for the release's sync.py
