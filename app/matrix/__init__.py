"""The account matrix (公众号矩阵): one TOML file per official account, plus the mini-program."""
