"""Figures of one program in one wave (DESIGN 4): `load` reads them (queries -> typed records),
`aggregate` computes dealer, region and national figures with the pure `scoring` package,
`responses` builds the scorecard, leaderboard and dispute-statistics data."""
from .aggregate import ScopeFigures, TrendPoint, WaveFigures
from .load import AuditRecord, DisputeRecord, WaveData, load_wave, resolve_program, wave_programs
from .responses import band_of, dealer_scorecard, dispute_statistics, national_figures, region_leaderboard

__all__ = ["AuditRecord", "DisputeRecord", "ScopeFigures", "TrendPoint", "WaveData", "WaveFigures",
           "band_of", "dealer_scorecard", "dispute_statistics", "load_wave", "national_figures", "region_leaderboard",
           "resolve_program",
           "wave_programs"]
