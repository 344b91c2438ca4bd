"""YouTube access: the client factory, login, the upload engine, metadata rules, quota, caption
tracks, thumbnails, playlists and the channel check. Talks to Google or to any server speaking
the same API (the sandbox is one); it never knows which."""
