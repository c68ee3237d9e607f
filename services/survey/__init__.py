"""The exit questionnaire: serves it, validates answers, stores them de-identified."""
