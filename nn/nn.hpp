// xgrad's nn: modules, layers, activations, losses, initialisers, data batches, checkpoints.
#pragma once

#include <autograd/autograd.hpp>
#include <nn/activation.hpp>
#include <nn/data.hpp>
#include <nn/init.hpp>
#include <nn/linear.hpp>
#include <nn/loss.hpp>
#include <nn/module.hpp>
#include <nn/sequential.hpp>
#include <nn/state_dict.hpp>
