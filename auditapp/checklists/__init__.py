"""Checklist files: loading, validating, and the frozen data scoring works on."""
from .loader import (ChecklistError, ChecklistErrors, checklist_from_document, load_checklist_file,
                     load_directory, load_files)
from .model import (CHANNEL_TEXT, CHANNELS, DEFAULT_CHANNEL, DEFAULT_GAP, DIMENSION_TEXT, DIMENSIONS, GAP_TEXT, GAPS,
                    OWNER_TEXT, OWNERS, Checklist, Item, Section, Text)

__all__ = ["ChecklistError", "ChecklistErrors", "Checklist", "Item", "Section", "Text", "DIMENSIONS",
           "DIMENSION_TEXT", "OWNERS", "OWNER_TEXT", "GAPS", "GAP_TEXT", "DEFAULT_GAP", "CHANNELS", "CHANNEL_TEXT",
           "DEFAULT_CHANNEL", "checklist_from_document", "load_checklist_file", "load_directory", "load_files"]
