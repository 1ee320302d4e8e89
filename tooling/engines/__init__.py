"""Static-site engines that turn the generated pages into HTML."""
