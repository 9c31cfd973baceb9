"""One scoring request, from body bytes to the answer's status and JSON body (no HTTP here).

:class:`Scorer` is what ``POST /invocations`` runs in a worker thread: parse the body by the
scoring protocol, predict with the model's signature check, encode the predictions. Every
failure becomes an :class:`Answer` with MLflow's error body: bad input is a 4xx, and a model
that raises on an input is a 400 ``BAD_REQUEST`` as in MLflow; only a model output that cannot
be encoded as JSON is a 500.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from runreport.exceptions import BAD_REQUEST, INTERNAL_ERROR, RunReportError
from runreport.serving.errors import error_code_of, error_json, status_of
from runreport.serving.protocol import parse_body, predictions_json

DEFAULT_TIMEOUT = 60.0  # seconds, as MLflow's MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT
DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024

_logger = logging.getLogger(__name__)


class Answer(NamedTuple):
    """An HTTP answer: status, JSON body, and MLflow's error code when it is an error."""

    status: int
    body: bytes
    error_code: str | None = None


def error_answer(exc: RunReportError) -> Answer:
    code = error_code_of(exc)
    return Answer(status_of(exc), error_json(code, exc.message), code)


class Scorer:
    """Scores request bodies with one loaded model (a :class:`~runreport.pyfunc.PyFuncModel`)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.schema = model.metadata.get_input_schema()

    def __call__(self, body: bytes, content_type: str | None) -> Answer:
        try:
            model_input = parse_body(body, content_type, self.schema)
            predictions = self.model.predict(model_input.data, params=model_input.params)
        except RunReportError as exc:
            return error_answer(exc)
        except Exception as exc:  # the model itself failed on this input: MLflow answers 400
            _logger.warning("the model raised on a request", exc_info=True)
            message = (
                f"Encountered an unexpected error while evaluating the model: "
                f"{type(exc).__name__}: {exc}. Verify that the input is compatible with the model."
            )
            return Answer(400, error_json(BAD_REQUEST, message), BAD_REQUEST)
        return self._encode(predictions)

    def _encode(self, predictions: Any) -> Answer:
        try:
            return Answer(200, predictions_json(predictions))
        except (TypeError, ValueError) as exc:
            _logger.error("cannot encode the model's predictions as JSON", exc_info=True)
            message = f"The model's predictions cannot be encoded as JSON: {exc}"
            return Answer(500, error_json(INTERNAL_ERROR, message), INTERNAL_ERROR)
