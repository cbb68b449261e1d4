# OpenCompass's older files name this dict opt125m, newer ones only models
opt125m = dict(type='opt-125m', abbr='opt125m')
models = [opt125m]
