"""What `geoservice serve` prints, in French: uvicorn's own lines about the server's life
(started, listening, stopping) are said in French or left out when they say nothing to the
person who started it; request lines keep their fields, with a time instead of « INFO: »."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

# uvicorn's messages, once their %-arguments are applied
LIFE = [
    (re.compile(r"Uvicorn running on (\S+) \(Press CTRL\+C to quit\)"),
     r"à l'écoute sur \1 (Ctrl+C pour arrêter)"),
    (re.compile(r"Started server process \[(\d+)\]"), r"processus \1 démarré"),
    (re.compile(r"Finished server process \[(\d+)\]"), r"processus \1 arrêté"),
    (re.compile(r"Started parent process \[(\d+)\]"), r"processus principal \1 démarré"),
    (re.compile(r"Stopping parent process \[(\d+)\]"), r"processus principal \1 arrêté"),
    (re.compile(r"Child process \[(\d+)\] died"), r"le processus \1 s'est arrêté : relancé"),
    (re.compile(r"Shutting down"), "arrêt demandé"),
    (re.compile(r"Received (SIG\w+), exiting\."), r"signal \1 reçu : arrêt"),
    (re.compile(r"Waiting for connections to close\..*"),
     "attente de la fin des requêtes en cours (Ctrl+C pour forcer)"),
]
SILENT = re.compile(r"Waiting for application (startup|shutdown)\.|"
                    r"Application (startup|shutdown) complete\.|"
                    r"Waiting for child process \[\d+\]|Terminated child process \[\d+\]|"
                    r"Waiting for background tasks to complete\..*")


def french(message: str) -> str | None:
    """The French line for one of uvicorn's messages; None to leave it out; other messages
    (errors, warnings) unchanged."""
    if SILENT.fullmatch(message):
        return None
    for pattern, words in LIFE:
        if pattern.fullmatch(message):
            return pattern.sub(words, message)
    return message


class FrenchServerLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        line = french(record.getMessage())
        if line is None:
            return False
        record.msg, record.args = line, ()
        if hasattr(record, "color_message"):
            del record.color_message
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with the French filter and time-stamped lines."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["french"] = {"()": f"{__name__}.FrenchServerLines"}
    config["handlers"]["default"]["filters"] = ["french"]
    config["formatters"]["default"]["fmt"] = "%(asctime)s %(message)s"
    config["formatters"]["access"]["fmt"] = (
        '%(asctime)s %(client_addr)s "%(request_line)s" %(status_code)s')
    for formatter in config["formatters"].values():
        formatter["datefmt"] = "%Y-%m-%d %H:%M:%S"
        formatter["use_colors"] = False
    return config
