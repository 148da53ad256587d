"""Routes: what each problem type means. The ``type`` of every problem+json answer is the
address of its description here (RFC 9457 §3.1.1: a type URI should lead to documentation
a person can read)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ...errors import GeoserviceError, NotFound, status_of_type
from ..http import only
from ..links import base_url
from ..problems import PROBLEM_TYPES, TYPES_PATH, problem_response, type_uri

router = APIRouter(prefix=TYPES_PATH, tags=["Erreurs"])


class ProblemType(BaseModel):
    type: str = Field(description="L'URI donnée dans le champ type des réponses d'erreur")
    slug: str
    title: str = Field(description="Le champ title des réponses de ce type")
    status: int | None = Field(description="Le statut HTTP de ce type (null : variable)")
    description: str = Field(description="Ce que ce type d'erreur veut dire et que faire")


def _describe(base: str, cls: type[GeoserviceError]) -> ProblemType:
    return ProblemType(type=type_uri(base, cls.slug), slug=cls.slug, title=cls.title,
                       status=status_of_type(cls), description=cls.about)


@router.get("", operation_id="listProblemTypes", dependencies=[only()],
            summary="Les types d'erreur que l'API peut répondre")
def list_types(request: Request) -> list[ProblemType]:
    base = base_url(request)
    return [_describe(base, cls) for cls in PROBLEM_TYPES.values()]


@router.get("/{slug}", operation_id="getProblemType", dependencies=[only()],
            summary="Un type d'erreur : ce qu'il veut dire et que faire",
            responses={404: problem_response("Type d'erreur inconnu")})
def get_type(request: Request, slug: str) -> ProblemType:
    cls = PROBLEM_TYPES.get(slug)
    if cls is None:
        raise NotFound(f"Type d'erreur inconnu : « {slug[:40]} » (liste : {TYPES_PATH})")
    return _describe(base_url(request), cls)
