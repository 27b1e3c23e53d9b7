"""The LTR lifecycle outside the engine: export of trained models (and, later, judgments,
feature logging, training, upload and the model registry)."""
