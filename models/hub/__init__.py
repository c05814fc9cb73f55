"""Models from the hub and on disk: the recommended table, downloads, the installed catalogue.

``registry`` lists the recommended GGUF pairs, ``download`` fetches one file with progress,
resume and a sha256 check, ``gguf_info`` reads GGUF headers, ``catalogue`` keeps
``catalogue.json`` (installed models and which one the actor and critic use), and ``install``
ties them together. Nothing here touches the network or the disk at import time.
"""

from models.hub.catalogue import Catalogue, CatalogueError, InstalledModel
from models.hub.download import ChecksumMismatch, HubError, HubUnreachable, download_file
from models.hub.gguf_info import GGUFInfo, NotGGUF, inspect_gguf
from models.hub.install import add_local, add_tiny, download_recommended, remove_model
from models.hub.registry import FAMILIES, RECOMMENDED, Recommended, find_recommended

__all__ = [
    "FAMILIES", "RECOMMENDED", "Catalogue", "CatalogueError", "ChecksumMismatch", "GGUFInfo",
    "HubError", "HubUnreachable", "InstalledModel", "NotGGUF", "Recommended", "add_local",
    "add_tiny", "download_file", "download_recommended", "find_recommended", "inspect_gguf",
    "remove_model",
]
