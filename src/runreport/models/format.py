"""The model-directory format: every file name and ``MLmodel`` key runreport writes or reads.

A model directory is MLflow's model format, so MLflow loads runreport's models and runreport
loads MLflow's::

    <model>/
      MLmodel                       YAML: flavors, signature, input example info, run_id ...
      model.pkl                     the estimator (sklearn flavor), or
      python_model.pkl              a cloudpickled PythonModel (pyfunc flavor)
      artifacts/                    files a PythonModel asked for
      input_example.json            pandas "split" orient (or a list / object)
      serving_input_example.json    {"dataframe_split": ...} or {"inputs": ...}
      requirements.txt              pinned pip requirements
      python_env.yaml               python version, build tools, -r requirements.txt
      conda.yaml                    the same for conda
      checksums.sha256              runreport only: ``sha256sum`` lines for every other file

The flavors keep MLflow's loader module names (``mlflow.sklearn``, ``mlflow.pyfunc.model``) so
``mlflow.pyfunc.load_model`` loads runreport's models; runreport maps those names to its own
loaders and never imports mlflow. ``checksums.sha256`` is the one addition: runreport refuses to
load a model whose files no longer match it. MLflow ignores the file.
"""

from __future__ import annotations

MLMODEL_FILE = "MLmodel"
CHECKSUMS_FILE = "checksums.sha256"
REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_ENV_FILE = "conda.yaml"
INPUT_EXAMPLE_FILE = "input_example.json"
SERVING_INPUT_FILE = "serving_input_example.json"
SKLEARN_PICKLE_FILE = "model.pkl"
SKOPS_FILE = "model.skops"
PYTHON_MODEL_FILE = "python_model.pkl"
ARTIFACTS_DIR = "artifacts"

PYFUNC_FLAVOR = "python_function"
SKLEARN_FLAVOR = "sklearn"

# The loader modules written into MLmodel: MLflow's names, so MLflow can load the model too.
SKLEARN_LOADER = "mlflow.sklearn"
PYTHON_MODEL_LOADER = "mlflow.pyfunc.model"

SERIALIZATION_CLOUDPICKLE = "cloudpickle"
SERIALIZATION_PICKLE = "pickle"
SERIALIZATION_SKOPS = "skops"
SERIALIZATION_FORMATS = (SERIALIZATION_CLOUDPICKLE, SERIALIZATION_PICKLE, SERIALIZATION_SKOPS)

TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"

# The run tag that lists the models logged into a run (MLflow 2's name and JSON shape).
LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history"
