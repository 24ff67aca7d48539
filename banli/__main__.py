"""`python -m banli`: the `banli` command without the console script."""

from banli.cli import main

if __name__ == "__main__":
    main()
