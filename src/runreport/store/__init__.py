"""The run-folder store: format (the spec), writer and readers."""
