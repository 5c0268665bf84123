"""The matcher: decides which candidate is the same recording as a source track."""
