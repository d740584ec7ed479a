"""Checklist files: loading, validating, and the frozen data scoring works on."""
from .loader import (ChecklistError, ChecklistErrors, checklist_from_document, load_checklist_file,
                     load_directory, load_files)
from .model import DIMENSIONS, DIMENSION_TEXT, Checklist, Item, Section, Text

__all__ = ["ChecklistError", "ChecklistErrors", "Checklist", "Item", "Section", "Text", "DIMENSIONS",
           "DIMENSION_TEXT", "checklist_from_document", "load_checklist_file", "load_directory", "load_files"]
