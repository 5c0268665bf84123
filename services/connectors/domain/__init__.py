"""Pure connector logic: parsing exports, reading tags into tracks, provider capabilities."""
