"""The downloader: finds, fetches, tags and files what is missing from a library."""
