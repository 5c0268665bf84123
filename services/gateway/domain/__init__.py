"""Pure gateway logic: health assessment and the run report's shape."""
