"""Render: arrays in, image bytes out. No model is run here, and every figure is a pure function of its inputs."""
