"""The atlas configuration: ``atlas.yml`` merged with command-line flags, validated once, up front.

Every setting is declared once in ``generator.settings`` (type, default, bounds, help, flag, profiles) and the
model is made from those declarations; the backbones' entries and the checks across settings are here. Validation errors become one line per problem that names the key's path, for example
``atlas.yml: backbones[2].alpha: 0.3 is not allowed for mobilenet; allowed: 0.25, 0.5, 0.75, 1.0``.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from generator.registry import APPLICATIONS, unknown_backbone_message
from generator.errors import ConfigError
from generator.settings import PROFILES, SETTINGS, Setting

WEIGHT_FILE_SUFFIXES = (".weights.h5", ".h5", ".keras")


class RecipeOverrides(BaseModel):
    """Filter-visualisation settings of one backbone, over its family's defaults (see ``compute.recipes``)."""

    model_config = ConfigDict(extra="forbid")

    learning_rate: float | None = Field(default=None, gt=0, le=10)
    """Adam learning rate."""
    redirect_fraction: float | None = Field(default=None, ge=0, le=1)
    """Share of the steps, at the start, with the redirected ReLU gradient."""
    pad: int | None = Field(default=None, ge=0, le=64)
    """Grey border in pixels around the image before each random transform."""
    jitter: int | None = Field(default=None, ge=0, le=64)
    """Largest random shift in pixels."""
    degrees: float | None = Field(default=None, ge=0, le=180)
    """Largest random rotation either way."""
    precision: Literal["auto", "float32", "bfloat16"] | None = None
    """Number format of the network's arithmetic; ``auto`` is bfloat16 where the hardware computes it natively."""


class BackboneSpec(BaseModel):
    """One backbone of the atlas: a Keras Application, or a user's own model file when ``path`` is set."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """Application name (see ``keras-atlas models``), or any slug for a model given by ``path``."""
    alpha: float | None = None
    """Width multiplier of MobileNet-family models."""
    depth_multiplier: int | None = Field(default=None, ge=1)
    """Depth multiplier of MobileNet v1."""
    weights: str | None = None
    """Overrides the atlas-wide ``weights`` for this backbone."""
    input_size: int | None = Field(default=None, ge=32, le=1024)
    """Square input size in pixels; defaults to the application's own."""
    title: str | None = None
    """Display title; derived from the name and options when absent."""
    path: Path | None = None
    """A user's own model file (``.keras`` or ``.h5``), loaded with Keras' safe mode on."""
    classes: Path | None = None
    """Class names of a user's model: one per line, or a JSON list."""
    trust_code: bool = False
    """Load a model file even if it holds code (a ``Lambda`` layer): Keras' safe mode off. Only for files you trust."""
    preprocess: Literal["tf", "torch", "caffe", "none"] | None = None
    """Input scaling of a user's model: ``tf`` [-1, 1], ``torch`` ImageNet mean/std, ``caffe`` BGR mean, ``none`` 0..255."""
    recipe: RecipeOverrides | None = None
    """Filter-visualisation settings for this backbone only, over its family's defaults."""

    @model_validator(mode="after")
    def _options_fit_backbone(self) -> "BackboneSpec":
        if self.path is not None:
            for option in ("alpha", "depth_multiplier"):
                if getattr(self, option) is not None:
                    raise _LocatedError(option, f"{option} applies to Keras Applications, not to a model file")
            return self
        app = APPLICATIONS.get(self.name)
        if app is None:
            raise _LocatedError("name", unknown_backbone_message(self.name))
        if self.alpha is not None and self.alpha not in app.alphas:
            allowed = ", ".join(str(a) for a in app.alphas) if app.alphas else "none (this model has no alpha)"
            raise _LocatedError("alpha", f"{self.alpha} is not allowed for {app.name}; allowed: {allowed}")
        if self.depth_multiplier is not None and not app.takes_depth_multiplier:
            raise _LocatedError("depth_multiplier", f"{app.name} takes no depth_multiplier (only mobilenet does)")
        if self.input_size is not None and self.input_size < app.min_size:
            raise _LocatedError("input_size", f"{app.name} needs at least {app.min_size} px")
        if self.trust_code:
            raise _LocatedError("trust_code", f"trust_code applies to a model file given by 'path', not to {app.name}")
        for option in ("classes", "preprocess"):
            if getattr(self, option) is not None:
                raise _LocatedError(option, f"{option} applies to a model file given by 'path', not to {app.name}")
        return self

    @property
    def slug(self) -> str:
        """Name used in URLs and cache keys: the name plus any options that change the network."""
        parts = [self.name]
        if self.alpha is not None:
            parts.append(f"alpha{self.alpha:g}".replace(".", "_"))
        if self.depth_multiplier not in (None, 1):
            parts.append(f"dm{self.depth_multiplier}")
        if self.input_size is not None:
            parts.append(f"{self.input_size}px")
        return "-".join(parts)


class _AtlasFields(BaseModel):
    """The part of ``AtlasConfig`` that is not a plain setting: the backbones and the checks across settings."""

    model_config = ConfigDict(extra="forbid")

    backbones: list[BackboneSpec] = Field(min_length=1)
    """Networks to draw; each entry is a name or a mapping with options."""

    @field_validator("layers", mode="before", check_fields=False)
    @classmethod
    def _layers_form(cls, layers: Any) -> int | str | list[str]:
        if isinstance(layers, bool):
            pass
        elif isinstance(layers, int) and layers >= 1:
            return layers
        elif layers == "all":
            return layers
        elif isinstance(layers, list) and layers and all(isinstance(name, str) and name for name in layers):
            return layers
        raise ValueError(f"must be a positive number, 'all', or a list of layer names (got {layers!r})")

    @field_validator("weights", check_fields=False)
    @classmethod
    def _weights_known(cls, weights: str) -> str:
        return _check_weights(weights)

    @field_validator("cam", check_fields=False)
    @classmethod
    def _cam_methods_known(cls, methods: list[str]) -> list[str]:
        from generator.compute.cams import METHODS  # NumPy only: validating a config never imports TensorFlow

        unknown = [method for method in methods if method not in METHODS]
        if unknown:
            raise ValueError(f"unknown method {unknown[0]!r}; allowed: {', '.join(METHODS)}")
        return methods

    @model_validator(mode="after")
    def _backbone_weights_known(self) -> "_AtlasFields":
        for index, spec in enumerate(self.backbones):
            if spec.weights is not None:
                try:
                    _check_weights(spec.weights)
                except ValueError as error:
                    raise ValueError(f"backbones[{index}].weights: {error}") from None
        for spec in self.backbones:
            app = APPLICATIONS.get(spec.name) if spec.path is None else None
            if app is not None and self.top_k > app.classes:
                raise ValueError(f"top_k: {self.top_k} is more than the {app.classes} classes of {spec.name}")
        slugs = [spec.slug for spec in self.backbones]
        duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if duplicates:
            raise ValueError(f"backbones: {', '.join(duplicates)} appears twice; give each entry distinct options")
        return self



def _field(setting: Setting) -> Any:
    """The pydantic field of a setting: its default (a list's as a fresh copy each time), bounds and help."""
    if isinstance(setting.default, tuple):
        return Field(default_factory=lambda: list(setting.default), description=setting.help, **setting.bounds)
    return Field(default=setting.default, description=setting.help, **setting.bounds)


AtlasConfig = create_model(
    "AtlasConfig", __base__=_AtlasFields, __module__=__name__,
    __doc__="A whole atlas: which networks, which photos, what to compute, and where to write it; its settings are "
            "declared in ``generator.settings``.",
    **{name: (setting.type, _field(setting)) for name, setting in SETTINGS.items()},
)

WEIGHT_CHOICES = ("auto", "imagenet", "package", "random")


def _check_weights(weights: str) -> str:
    if weights in WEIGHT_CHOICES:
        return weights
    if not weights.endswith(WEIGHT_FILE_SUFFIXES):
        raise ValueError(
            f"{weights!r} is not a weights choice; use auto, imagenet, package, random, or a path ending in "
            + ", ".join(WEIGHT_FILE_SUFFIXES)
        )
    if not Path(weights).is_file():
        raise ValueError(f"weights file {weights} does not exist")
    return weights


class _LocatedError(ValueError):
    """A validation error raised from a model validator that knows which field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# ----------------------------------------------------------------------------------------------------------
# Loading and merging


ANCHORED_KEYS = ("docs_dir", "site_dir", "cache_dir")


def load_config(path: Path | None, overrides: dict[str, Any] | None = None) -> AtlasConfig:
    """Read ``path`` (YAML), apply command-line ``overrides`` and validate.

    Relative paths in the file are taken relative to the file's folder, so an atlas builds the same from any
    working directory; paths given as flags are relative to the working directory, as a shell user expects.
    """
    data: dict[str, Any] = {}
    source = "command line"
    if path is not None:
        source = str(path)
        data = _read_yaml(path)
        _anchor_paths(data, Path(path).resolve().parent)
    for key, value in (overrides or {}).items():
        if value is not None:
            data[key] = value
    if isinstance(data.get("backbones"), list):
        data["backbones"] = [{"name": entry} if isinstance(entry, str) else entry for entry in data["backbones"]]
    profile = data.get("profile")
    if isinstance(profile, str) and profile in PROFILES:
        for key, value in PROFILES[profile].items():
            data.setdefault(key, value)
    try:
        return AtlasConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError("\n".join(f"{source}: {line}" for line in format_validation_error(error))) from None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; pass --config PATH or create atlas.yml") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} cannot be read: {error}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}".replace("\n", " ")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of settings, not {type(data).__name__}")
    return data


def _anchor_paths(data: dict[str, Any], base: Path) -> None:
    def anchor(value: Any) -> Any:
        if isinstance(value, str) and value and not Path(value).is_absolute():
            return str(base / value)
        return value

    for key in ANCHORED_KEYS:
        if key in data:
            data[key] = anchor(data[key])
    for key in ("images", "examples"):
        if isinstance(data.get(key), list):
            data[key] = [anchor(item) for item in data[key]]
        elif isinstance(data.get(key), str):
            data[key] = [anchor(data[key])]
    if isinstance(data.get("weights"), str) and data["weights"] not in WEIGHT_CHOICES:
        data["weights"] = anchor(data["weights"])
    for entry in data.get("backbones") or []:
        if isinstance(entry, dict):
            for key in ("path", "classes"):
                if key in entry:
                    entry[key] = anchor(entry[key])
            if isinstance(entry.get("weights"), str) and entry["weights"] not in WEIGHT_CHOICES:
                entry["weights"] = anchor(entry["weights"])


def format_location(loc: tuple[Any, ...]) -> str:
    """``('backbones', 2, 'alpha')`` -> ``backbones[2].alpha``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def format_validation_error(error: ValidationError) -> list[str]:
    """One line per problem, each naming the key's path and what is allowed."""
    lines = []
    for problem in error.errors():
        loc = tuple(problem["loc"])
        context = problem.get("ctx") or {}
        located = context.get("error")
        if isinstance(located, _LocatedError):
            loc = loc + (located.field,)
            message = str(located)
        elif problem["type"] == "extra_forbidden":
            message = _unknown_key_message(loc)
        elif problem["type"] == "missing":
            message = "is required"
        else:
            message = problem["msg"].removeprefix("Value error, ")
            if "input" in problem and problem["type"] not in ("value_error",):
                message += f" (got {problem['input']!r})"
        # Whole-model checks already start their message with the key's path.
        line = f"{format_location(loc)}: {message}" if loc else message
        if line not in lines:
            lines.append(line)
    return lines


def _unknown_key_message(loc: tuple[Any, ...]) -> str:
    key = str(loc[-1])
    fields = BackboneSpec.model_fields if loc[:1] == ("backbones",) and len(loc) > 2 else AtlasConfig.model_fields
    close = difflib.get_close_matches(key, list(fields), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"unknown key.{hint} Allowed keys: {', '.join(fields)}"


MODEL_FILE_SUFFIXES = (".keras", ".h5")


def parse_model_spec(spec: str) -> dict[str, Any]:
    """``NAME``, ``NAME:key=value,...`` or a model file ``PATH[:key=value,...]`` from ``--model`` to a backbone
    mapping (values typed as YAML). A file is named after its stem: ``models/my_net.keras`` is ``my_net``."""
    name, _, options = spec.partition(":")
    name = name.strip()
    entry: dict[str, Any] = {"name": name}
    if name.lower().endswith(MODEL_FILE_SUFFIXES):
        stem = re.sub(r"[^a-z0-9_]+", "_", Path(name).name.rsplit(".", 1)[0].lower()).strip("_") or "model"
        entry = {"name": stem, "path": name}
    if options:
        for item in options.split(","):
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ConfigError(f"--model {spec}: expected NAME:key=value,... but {item!r} has no '='")
            entry[key.strip()] = yaml.safe_load(value.strip())
    return entry
