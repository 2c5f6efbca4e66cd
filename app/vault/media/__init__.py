"""Media facts and derivatives: EXIF and ffprobe readers, the MP4 index, thumbnails."""
