"""Small widgets shared by the app's pages (rating bar, action overlay, ...)."""
