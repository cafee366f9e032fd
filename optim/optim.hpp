// xgrad's optimizers in one include: SGD, Adam, AdamW, learning-rate schedules, gradient clipping.
#pragma once

#include <optim/adam.hpp>
#include <optim/clip_grad.hpp>
#include <optim/lr_scheduler.hpp>
#include <optim/optimizer.hpp>
#include <optim/sgd.hpp>
