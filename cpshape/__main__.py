"""``python -m cpshape``: the same as the ``cpshape`` command."""

from .cli import main

if __name__ == "__main__":
    main()
