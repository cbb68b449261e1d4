from compass._cli.main import main

main()
