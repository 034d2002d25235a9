"""Makes the real-editor fixtures (defined in editor_support.py) available to this folder."""

from editor_support import isolated_env, sample_workspace, server_cmd, tiny_model

__all__ = ["isolated_env", "sample_workspace", "server_cmd", "tiny_model"]
