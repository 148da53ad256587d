"""The Fabrique à initiatives' pipeline: the stages of a spotted need (:mod:`.stages`) and
the yearly figures drawn from the needs' journals and the lauréats (:mod:`.bilan`). Free of
FastAPI: the API route and the CLI call the same functions."""
