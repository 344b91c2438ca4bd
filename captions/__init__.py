"""Subtitles to pixels: reading, checking, layout, fonts, rendering and burning cues."""
